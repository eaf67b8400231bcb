/** The bundled offline demo (`public/demo/`, generated at build time by scripts/demo): its manifest's shape. */
export interface DemoManifest {
  readonly version: number;
  /** The demo recipe (mergekit YAML); its model paths are the ids below. */
  readonly recipe: string;
  /** Suggested output folder name. */
  readonly outputName: string;
  readonly models: readonly {
    readonly id: string;
    readonly description: string;
    readonly files: readonly { readonly path: string; readonly size: number }[];
  }[];
}

/** Where the demo lives under the app's base URL. */
export const DEMO_PATH = 'demo';
