/** Runs one bench case in this process and prints its result (with this process's peak RSS) as one JSON line. */
import { CASES } from './cases';

const [caseName, rawArgs] = process.argv.slice(2);
const run = caseName === undefined ? undefined : CASES[caseName];
if (run === undefined) {
  console.error(`unknown bench case ${caseName ?? '(none)'}; known: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}
const result = await run(JSON.parse(rawArgs ?? '{}') as Record<string, string | number>);
// resourceUsage().maxRSS is in kilobytes.
console.log(JSON.stringify({ ...result, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
