// Issue 13: the OpenAPI document of the HTTP API, served only while the admin API is on.
import { useTestServer } from './support/suite.js';

describe('OpenAPI at /admin/docs', () => {
  describe('with ADMIN_TOKEN set', () => {
    const server = useTestServer();

    it('serves the Swagger UI page, and helmet’s CSP lets it load its own assets only', async () => {
      const response = await fetch(`${server.url}/admin/docs`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'self'/);
      const html = await response.text();
      expect(html).toMatch(/swagger-ui/i);
      // No inline script: the CSP (script-src 'self') would block it.
      const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)];
      expect(inline.filter(([, body]) => body.trim() !== '')).toEqual([]);
      // Every script and stylesheet it references is served from here.
      const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map(([, p]) => p);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        expect(asset).not.toMatch(/^https?:/);
        const url = new URL(asset, `${server.url}/admin/docs/`);
        expect([url.pathname, (await fetch(url)).status]).toEqual([url.pathname, 200]);
      }
    });

    it('serves the JSON document listing the admin paths', async () => {
      const response = await fetch(`${server.url}/admin/docs-json`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as {
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
      };
      expect(document.openapi).toMatch(/^3\./);
      const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(operations).toEqual(
        expect.arrayContaining([
          'GET /admin/reports',
          'POST /admin/reports/{id}/resolve',
          'PUT /admin/users/{id}',
          'GET /admin/users/{id}',
          'DELETE /admin/users/{id}',
          'PUT /admin/users/{id}/ban',
          'DELETE /admin/users/{id}/ban',
          'GET /admin/audit',
          'GET /health',
        ]),
      );
    });
  });

  describe('with ADMIN_TOKEN unset', () => {
    const server = useTestServer({ env: { ADMIN_TOKEN: '' } });

    it('serves neither, and the admin API answers 404', async () => {
      for (const path of ['/admin/docs', '/admin/docs-json', '/admin/reports', '/admin/audit']) {
        expect([path, (await fetch(`${server.url}${path}`)).status]).toEqual([path, 404]);
      }
    });
  });
});
