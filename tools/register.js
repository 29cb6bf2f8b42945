// Lets Node run the TypeScript sources directly: tsx for .ts, and `?raw` imports of
// WGSL files (what Vite does for the browser build) answered with the file's text.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./rawLoader.js', import.meta.url);
