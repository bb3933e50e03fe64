#!/usr/bin/env node
// Development entry: rebuilds nothing, but runs without the manifest cache so new commands show up.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
