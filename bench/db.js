// `npm run bench:db` entry point: runs the compiled benchmark (bench/db-bench.ts → dist/bench/db-bench.js).
import '../dist/bench/db-bench.js';
