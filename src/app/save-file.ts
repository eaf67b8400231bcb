/** Saving a file from the page: the browser's download of a blob under a name. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The download starts from the URL asynchronously; it is released once that surely happened.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
