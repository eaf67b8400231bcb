/**
 * How tests start Debian's Chromium. Playwright never downloads a browser here; headless Chromium needs
 * `--enable-unsafe-webgpu` to hand out a (SwiftShader) adapter, and the `--disable-*` flags keep it from
 * reaching for the network at start-up.
 */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
] as const;
