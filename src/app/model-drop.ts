/**
 * Local models by drag and drop: folders dropped (directory entries) or loose safetensors files become local models on
 * the canvas. The models panel's drop zone and the canvas share it.
 */
import { useState } from 'react';
import type { DragEvent } from 'react';

import { useAppStore } from '../state/hooks';

/** Reads `files` as one local model (a folder's files, or loose files dropped together) and puts it on the canvas. */
export function useAddLocalFiles(): (files: readonly File[], name?: string) => Promise<void> {
  const addModel = useAppStore((s) => s.addModel);
  const loadLocalFiles = useAppStore((s) => s.loadLocalFiles);
  return async (files, name) => {
    if (files.length === 0) return;
    addModel(await loadLocalFiles(files, name));
  };
}

/** Drag-over state and the handlers that make an element a drop target for model folders and files. */
export function useModelDrop(): {
  readonly over: boolean;
  readonly handlers: { onDragOver(event: DragEvent): void; onDragLeave(event: DragEvent): void; onDrop(event: DragEvent): void };
} {
  const addFiles = useAddLocalFiles();
  const [over, setOver] = useState(false);
  const carriesFiles = (event: DragEvent) => [...event.dataTransfer.types].includes('Files');
  return {
    over,
    handlers: {
      onDragOver: (event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        setOver(true);
      },
      onDragLeave: () => setOver(false),
      onDrop: (event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        setOver(false);
        // Entries must be taken while the drop event runs; reading them may happen later.
        const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
        const dirs = entries.filter((e): e is FileSystemDirectoryEntry => e.isDirectory);
        const loose = [...event.dataTransfer.files];
        void (async () => {
          for (const dir of dirs) await addFiles(await filesOfDirectory(dir), dir.name);
          if (dirs.length === 0) await addFiles(loose);
        })();
      },
    },
  };
}

/** The files directly inside a dropped folder (model folders are flat; subfolders such as `original/` are not read). */
async function filesOfDirectory(dir: FileSystemDirectoryEntry): Promise<File[]> {
  const reader = dir.createReader();
  const entries: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    entries.push(...batch);
  }
  const files = entries.filter((e): e is FileSystemFileEntry => e.isFile && !e.name.startsWith('.'));
  return Promise.all(files.map((e) => new Promise<File>((resolve, reject) => e.file(resolve, reject))));
}
