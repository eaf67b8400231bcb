import { AppError } from '../../shared/errors';

/** A Hub repo name part: letters, digits, `-`, `_`, `.`; not starting or ending with `-`/`.`; no `--` or `..`; ≤ 96. */
const NAME = /^(?![.-])(?!.*(--|\.\.))[\w.-]{1,96}(?<![.-])$/;

/** Checks `owner/name` as the Hub would, naming the fix. */
export function checkRepoId(repo: string): string {
  const [owner, name, extra] = repo.trim().split('/');
  if (owner === undefined || name === undefined || extra !== undefined || !NAME.test(owner) || !NAME.test(name)) {
    throw new AppError('E_RECIPE_INVALID', `${JSON.stringify(repo)} is not a Hub repository name.`, {
      hint: 'Use owner/name: letters, digits, "-", "_" and "." (not at either end), at most 96 characters each.',
    });
  }
  return `${owner}/${name}`;
}

/** A repo name made from an output folder's name: unusable characters become `-`, runs collapse, ends trimmed. */
export function repoNameFromOutput(outputName: string): string {
  const name = outputName
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/([.-])[.-]+/g, '$1')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 96)
    .replace(/[.-]+$/, '');
  return name === '' ? 'merged-model' : name;
}
