import {
  Controller,
  Get,
  NotFoundException,
  Param,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { AppConfig } from '../config/app-config.js';

/**
 * The console's own policy, stricter than helmet's default for the API: only
 * this origin's scripts, styles, images and connections (the bundle's
 * Socket.IO client included: CSP 3 lets 'self' match ws:/wss: to this host),
 * nothing inline, no frames, no forms posting elsewhere.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Where `npm run build` puts the bundle (scripts/build-console.mjs), from dist/console or src/console. */
const BUNDLE_DIR = join(import.meta.dirname, '..', '..', 'dist', 'web', 'console');

interface Asset {
  type: string;
  body: Buffer;
}

/** Reads the built console once: its few files are served from memory, by exact name only. */
function loadBundle(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  return assets;
}

/**
 * GET /console: the web console (README "Console"), only when ADMIN_TOKEN is
 * set (404 otherwise, like the admin API). The page itself holds no secret:
 * everything it shows comes from the admin API with the token typed in.
 */
@ApiExcludeController() // a page, not part of the HTTP API's document
@Controller('console')
export class ConsoleAssetsController {
  private readonly assets = loadBundle(BUNDLE_DIR);

  constructor(private readonly config: AppConfig) {}

  @Get()
  page(@Res() response: Response): void {
    this.send(response, 'index.html');
  }

  @Get(':file')
  file(@Param('file') file: string, @Res() response: Response): void {
    this.send(response, file);
  }

  private send(response: Response, name: string): void {
    if (!this.config.adminToken) throw new NotFoundException();
    if (this.assets.size === 0) {
      throw new ServiceUnavailableException(
        'the console is not built: run npm run build (it bundles the console into dist/web/console)',
      );
    }
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException();
    response
      .status(200)
      .set({
        'Content-Type': asset.type,
        'Content-Security-Policy': CONSOLE_CSP,
        // Not content-hashed names: always revalidate, so a new build is picked up.
        'Cache-Control': 'no-cache',
      })
      .send(asset.body);
  }
}
