import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Where the OpenAPI document is served (the module's default pair: UI here, JSON at `-json`). */
export const OPENAPI_PATH = 'admin/docs';

/**
 * The OpenAPI document of the whole HTTP API (health, metrics, the admin
 * API), built by @nestjs/swagger from the controllers and DTOs, served at
 * /admin/docs (Swagger UI) and /admin/docs-json. Only called when the admin
 * API is on (ADMIN_TOKEN set). The socket protocol is docs/asyncapi.yaml.
 */
export function serveOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Legacy chat server: HTTP API')
    .setDescription(
      'Health, metrics and the admin API (Authorization: Bearer <ADMIN_TOKEN>). ' +
        'The Socket.IO protocol is described by docs/asyncapi.yaml.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup(OPENAPI_PATH, app, document, {
    jsonDocumentUrl: `${OPENAPI_PATH}-json`,
    yamlDocumentUrl: `${OPENAPI_PATH}-yaml`,
  });
}
