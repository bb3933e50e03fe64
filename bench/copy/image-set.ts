/**
 * The benchmark image set shared by bench:copy and bench:pack: 20 images (img01..img20), about
 * 1 GiB of unique layer bytes with shared layers (one 100 MiB base layer in every image, a 16 MiB
 * layer per group of five images, two layers of each image's own, 43 MiB together, with a few KiB
 * moved between them so sizes are not round). Content is seeded by SEED, so every run and both
 * benchmarks generate the same bytes.
 */
import { MiB } from './byte-units.js';
import type { ImageSpec } from './generate-layout.js';

export const IMAGES = 20;
const BASE_LAYER = 100 * MiB; // in every image
const GROUP_SIZE = 5; // images 01-05, 06-10, ... share one group layer
const GROUP_LAYER = 16 * MiB;
const APP_LAYER = 32 * MiB; // each image's own two layers: 43 MiB together,
const EXTRA_LAYER = 11 * MiB; // with a few KiB moved between them so sizes are not round
const ODD = 4097;
export const SEED = 'ferry-bench-copy/v1';

export const imageName = (n: number): string => `img${String(n).padStart(2, '0')}`;

/** The first `count` images of the set (all 20 by default); image n is the same whatever `count` is. */
export function imageSpecs(count = IMAGES): ImageSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const name = imageName(n);
    return {
      name,
      layers: [
        { label: 'base', size: BASE_LAYER },
        { label: `group${Math.floor(i / GROUP_SIZE) + 1}`, size: GROUP_LAYER },
        { label: `${name}-app`, size: APP_LAYER + ODD * n },
        { label: `${name}-extra`, size: EXTRA_LAYER - ODD * n },
      ],
    };
  });
}
