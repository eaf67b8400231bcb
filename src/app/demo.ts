/**
 * The bundled offline demo: reads `demo/manifest.json` from the app's own origin and fetches each demo model's files
 * whole (about 10 MB in all), so the engine reads them as local files — no Hub, no network beyond the app itself.
 */
import type { SourceSpec } from '../engine/api';
import { AppError } from '../shared/errors';
import { DEMO_PATH } from './demo-manifest';
import type { DemoManifest } from './demo-manifest';

export interface LoadedDemo {
  readonly manifest: DemoManifest;
  readonly sources: Readonly<Record<string, SourceSpec>>;
}

/** The demo's manifest: its recipe and its models' ids and files (a small JSON file). */
export async function loadDemoManifest(base: string = import.meta.env.BASE_URL): Promise<DemoManifest> {
  return (await fetchOk(`${demoRoot(base)}manifest.json`).then((r) => r.json())) as DemoManifest;
}

/** The manifest and the files of the demo models (all of them, or those named in `only`). */
export async function loadDemo(base: string = import.meta.env.BASE_URL, only?: readonly string[]): Promise<LoadedDemo> {
  const root = demoRoot(base);
  const manifest = await loadDemoManifest(base);
  const sources: Record<string, SourceSpec> = {};
  await Promise.all(
    manifest.models
      .filter((model) => only === undefined || only.includes(model.id))
      .map(async (model) => {
        const files = await Promise.all(
          model.files.map(async (file) => {
            const response = await fetchOk(`${root}${model.id}/${file.path}`);
            // The server's date, not the time of this fetch: a resume after a reload compares it (run fingerprint).
            return new File([await response.blob()], file.path, { lastModified: Date.parse(response.headers.get('Last-Modified') ?? '') || 0 });
          }),
        );
        sources[model.id] = { kind: 'files', name: model.id, files };
      }),
  );
  return { manifest, sources };
}

function demoRoot(base: string): string {
  return `${base.replace(/\/?$/, '/')}${DEMO_PATH}/`;
}

async function fetchOk(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new AppError('E_NETWORK', `Cannot load the demo file ${url}.`, { cause, hint: 'Reload the page; the demo ships with the app.' });
  }
  if (!response.ok) {
    throw new AppError('E_FILE_MISSING', `The demo file ${url} is missing (HTTP ${response.status}).`, {
      context: { file: url, status: response.status },
      hint: 'Build the app with `npm run build` or start it with `npm start`: both generate the demo models.',
    });
  }
  return response;
}
