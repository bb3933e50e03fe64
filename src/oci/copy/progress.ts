/** What the copy engine reports as it works; the CLI renders it (bars on a terminal, lines otherwise). */
export type CopyEvent =
  | { type: 'image-start'; image: string }
  | { type: 'image-done'; image: string; digest: string }
  | { type: 'image-failed'; image: string; error: Error }
  | { type: 'blob-start'; digest: string; size: number }
  | { type: 'blob-bytes'; digest: string; bytes: number }
  | { type: 'blob-done'; digest: string; size: number; how: BlobOutcome; /** The destination repository now holding it. */ repository?: string };

export type BlobOutcome = 'copied' | 'mounted' | 'skipped';

export type CopyListener = (event: CopyEvent) => void;
