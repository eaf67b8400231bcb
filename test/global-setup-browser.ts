/**
 * Global set-up of the Vitest browser project: a mock Hub on its own loopback port (so requests from the test page
 * are cross-origin, as in production) serving the standard fixtures, plus a CDN origin for the redirect path.
 */
import type { TestProject } from 'vitest/node';

import { standardRepos } from './mock-hub/fixture-repos';
import { MOCK_TOKEN, startMockHub } from './mock-hub/server';

declare module 'vitest' {
  export interface ProvidedContext {
    hubUrl: string;
    hubToken: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const hub = await startMockHub({ repos: await standardRepos(), cdn: true });
  project.provide('hubUrl', hub.url);
  project.provide('hubToken', MOCK_TOKEN);
  return () => hub.close();
}
