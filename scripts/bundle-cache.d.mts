export declare const WATCHED: readonly string[];
export declare function sourceFingerprint(root: string, watched?: readonly string[]): string;
export declare function bundledEntry(options: {
  root: string;
  name: string;
  entry: string;
  cacheDir?: string;
  workers?: Readonly<Record<string, string>>;
  watched?: readonly string[];
}): Promise<{ main: string; workers: Record<string, string>; built: boolean }>;
