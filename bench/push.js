// `npm run bench:push` entry point: runs the compiled benchmark (bench/push-bench.ts → dist/bench/push-bench.js).
import '../dist/bench/push-bench.js';
