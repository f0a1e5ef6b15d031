// The one version string: package.json's. This file runs from src/ (tsx) or dist/ (built), both one
// directory below the package root, where package.json always is (npm packs it).
import { readFileSync } from 'node:fs';

export const INBOXGUARD_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
