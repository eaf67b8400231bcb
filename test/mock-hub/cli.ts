/** `npm run mock-hub -- [--port 5190] [--cdn]`: serves the standard fixtures over the Hub's HTTP protocol. */
import { standardRepos } from './fixture-repos';
import { MOCK_TOKEN, startMockHub } from './server';

const args = process.argv.slice(2);
const portFlag = args.indexOf('--port');
const port = portFlag >= 0 ? Number(args[portFlag + 1]) : 5190;
const hub = await startMockHub({ repos: await standardRepos(), port, cdn: args.includes('--cdn') });
console.log(`mock Hub at ${hub.url} (token for gated/private repos: ${MOCK_TOKEN})`);
const stop = () => void hub.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
