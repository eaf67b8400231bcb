/** `--push-to-hub owner/name`: publishes a finished output folder to the Hub with `HF_TOKEN`, printing progress to stderr. */
import { AppError } from '../shared/errors';
import { formatBytes } from '../shared/format';
import { nodeOutputFiles } from '../io/hub-publish/node-output-files';
import type { PublishProgress } from '../io/hub-publish/progress';
import { publishFolder } from '../io/hub-publish/publish';
import { checkRepoId } from '../io/hub-publish/repo-name';
import { hubSettingsFromEnv } from '../io/source/node-hub-env';

export interface PushRequest {
  readonly repo: string;
  /** Visibility of a repo the push creates: private unless `--public` is given. */
  readonly private: boolean;
}

/** Checks the repo name and that a token is set, before a long merge starts. */
export function checkPushRequest(request: PushRequest): void {
  checkRepoId(request.repo);
  if (hubSettingsFromEnv().token === undefined) {
    throw new AppError('E_HUB_UNAUTHORIZED', '--push-to-hub needs a Hugging Face access token.', {
      hint: 'Set HF_TOKEN to a token with write access (https://huggingface.co/settings/tokens).',
    });
  }
}

export async function pushOutput(folder: string, request: PushRequest, signal: AbortSignal): Promise<void> {
  const hub = hubSettingsFromEnv();
  const files = await nodeOutputFiles(folder);
  process.stderr.write(`Publishing ${files.length} files to ${hub.endpoint}/${request.repo}…\n`);
  const result = await publishFolder({ repo: request.repo, private: request.private, files, hub, signal, onProgress: progressPrinter() });
  const skipped = result.alreadyStored.length === 0 ? '' : ` (${result.alreadyStored.length} already on the Hub, not sent again)`;
  process.stderr.write(`\nPublished: ${result.repoUrl}${result.created ? (request.private ? ' (new private repo)' : ' (new public repo)') : ''}${skipped}\n`);
}

function progressPrinter(): (progress: PublishProgress) => void {
  const tty = process.stderr.isTTY === true;
  let last = '';
  return (progress) => {
    const busy = progress.files.filter((f) => f.state === 'hashing' || f.state === 'uploading').map((f) => `${f.path} ${f.state} ${Math.round(f.fraction * 100)}%`);
    const line = `${progress.phase}: ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}${busy.length === 0 ? '' : ` — ${busy.slice(0, 2).join(', ')}`}`;
    if (!tty && line.split(' — ')[0] === last.split(' — ')[0]) return;
    last = line;
    process.stderr.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
  };
}
