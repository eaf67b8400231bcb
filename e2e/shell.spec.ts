import { expect, test } from '@playwright/test';
import { screenshot } from './screens';

test('the studio opens and reports the WebGPU adapter it will use', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Merge Studio' })).toBeVisible();
  const webgpu = page.getByTestId('capability-WebGPU');
  await expect(webgpu).toContainText(/Adapter|Software adapter/);
  // Headless Debian Chromium with --enable-unsafe-webgpu exposes SwiftShader, which the studio must flag as slow.
  await expect(webgpu).toContainText('swiftshader');
  await expect(page.getByTestId('capability-Save to a folder')).toContainText('Ready');
  await screenshot(page, 'shell');
  expect(errors).toEqual([]);
});
