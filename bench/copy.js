// `npm run bench:copy` entry point: runs the compiled benchmark (bench/copy-bench.ts → dist/bench/copy-bench.js).
import '../dist/bench/copy-bench.js';
