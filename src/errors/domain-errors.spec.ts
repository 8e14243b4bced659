import {
  BadRequestException,
  Controller,
  Get,
  type INestApplication,
  Logger,
  Module,
  Param,
} from '@nestjs/common';
import { jest } from '@jest/globals';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { AddressInfo } from 'node:net';
import type { ChatSocket } from '../common/chat-socket.js';
import { LegacyExceptionFilter } from '../common/legacy-exception.filter.js';
import type { FloodControlService } from '../flood-control/flood-control.service.js';
import type { ChatMetrics } from '../metrics/chat-metrics.js';
import { SendNotStoredError, SendOutcomeUnknownError } from '../messages/send-batcher.js';
import { DomainErrorHttpFilter } from './domain-error-http.filter.js';
import {
  BlockedError,
  ConflictError,
  type DomainError,
  ForbiddenError,
  InvalidInputError,
  UnavailableError,
  UnknownUserError,
} from './domain-errors.js';

/** One error of each kind, with the HTTP answer it maps to. */
const CASES: Array<[string, DomainError, number, string]> = [
  ['unknown user', new UnknownUserError(42), 404, 'Not Found'],
  ['blocked', new BlockedError('You Have Blocked This User'), 409, 'Conflict'],
  ['invalid input', new InvalidInputError('limit must be at most 500'), 400, 'Bad Request'],
  [
    'forbidden',
    new ForbiddenError('this socket is not connected as a user yet: emit connect_user first'),
    403,
    'Forbidden',
  ],
  ['conflict', new ConflictError('report 7 is already resolved'), 409, 'Conflict'],
  ['unavailable', new UnavailableError('the database did not answer'), 503, 'Service Unavailable'],
  ['send not stored', new SendNotStoredError(), 503, 'Service Unavailable'],
  ['send outcome unknown', new SendOutcomeUnknownError(), 503, 'Service Unavailable'],
];

describe('domain errors', () => {
  it('carry the texts clients see today', () => {
    expect(new UnknownUserError(42).message).toBe('user 42 does not exist');
    expect(new SendNotStoredError().message).toBe(
      'the message was not stored: the database did not answer in time; please send it again',
    );
    expect(new SendOutcomeUnknownError().message).toMatch(
      /^the server could not confirm whether the message was stored/,
    );
    expect(new UnknownUserError(1).name).toBe('UnknownUserError');
  });

  describe('on a socket (LegacyExceptionFilter)', () => {
    function run(error: unknown) {
      const emitted: Array<[string, unknown]> = [];
      const acked: unknown[] = [];
      const client = {
        id: 's1',
        data: { userId: 7 },
        emit: (event: string, payload: unknown) => emitted.push([event, payload]),
      } as unknown as ChatSocket;
      const internalErrors = { count: 0 };
      const metrics = { errors: { inc: () => internalErrors.count++ } } as unknown as ChatMetrics;
      const floodControl = { unboundRefused: () => undefined } as unknown as FloodControlService;
      const host = new ExecutionContextHost(
        [client, { userId: 7 }, (payload: unknown) => acked.push(payload), 'chat_listing'],
        LegacyExceptionFilter,
      );
      host.setType('ws');
      new LegacyExceptionFilter(metrics, floodControl).catch(error, host);
      return { emitted, acked, internalErrors: internalErrors.count };
    }

    it.each(CASES)(
      '%s: the legacy exception with the error message, on the event and the ack',
      (_name, error) => {
        const { emitted, acked, internalErrors } = run(error);
        const payload = { status: 'error', message: error.message, event: 'chat_listing' };
        expect(emitted).toEqual([['exception', payload]]);
        expect(acked).toEqual([payload]);
        expect(internalErrors).toBe(0);
      },
    );

    it('anything else is an internal error, counted, its text not shown', () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const { emitted, internalErrors } = run(new Error('secret detail'));
      expect(logged).toHaveBeenCalledTimes(1);
      logged.mockRestore();
      expect(emitted).toEqual([
        [
          'exception',
          {
            status: 'error',
            message: 'internal server error: the request was not carried out, please retry',
            event: 'chat_listing',
          },
        ],
      ]);
      expect(internalErrors).toBe(1);
    });
  });

  describe('on HTTP (DomainErrorHttpFilter)', () => {
    @Controller('throw')
    class ThrowingController {
      @Get(':index')
      throw(@Param('index') index: string): never {
        if (index === 'http') throw new BadRequestException('name is required');
        throw CASES[Number(index)][1];
      }
    }

    @Module({
      controllers: [ThrowingController],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorHttpFilter }],
    })
    class HttpTestModule {}

    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      app = await NestFactory.create(HttpTestModule, { logger: false });
      await app.listen(0, '127.0.0.1');
      url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    });
    afterAll(() => app.close());

    it.each(
      CASES.map(
        ([name, error, status, errorName], index) =>
          [name, status, error, errorName, index] as const,
      ),
    )('%s: %i with a JSON body', async (_name, status, error, errorName, index) => {
      const response = await fetch(`${url}/throw/${index}`);
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({
        statusCode: status,
        error: errorName,
        message: error.message,
      });
    });

    it("leaves Nest's own HTTP exceptions as they were", async () => {
      const response = await fetch(`${url}/throw/http`);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'name is required',
      });
    });
  });
});
