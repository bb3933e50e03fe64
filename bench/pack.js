// `npm run bench:pack` entry point: runs the compiled benchmark (bench/pack-bench.ts → dist/bench/pack-bench.js).
import '../dist/bench/pack-bench.js';
