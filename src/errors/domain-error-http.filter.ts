import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DomainError, type DomainErrorKind } from './domain-errors.js';

/** The HTTP status of each kind of domain error. */
export const HTTP_STATUS: Readonly<Record<DomainErrorKind, HttpStatus>> = {
  not_found: HttpStatus.NOT_FOUND,
  blocked: HttpStatus.CONFLICT,
  invalid: HttpStatus.BAD_REQUEST,
  forbidden: HttpStatus.FORBIDDEN,
  conflict: HttpStatus.CONFLICT,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

const ERROR_NAMES: Readonly<Record<DomainErrorKind, string>> = {
  not_found: 'Not Found',
  blocked: 'Conflict',
  invalid: 'Bad Request',
  forbidden: 'Forbidden',
  conflict: 'Conflict',
  unavailable: 'Service Unavailable',
};

/**
 * A service's DomainError on the HTTP API (admin, health): its status and a
 * body shaped like Nest's own errors, `{statusCode, error, message}`.
 * Registered as the global filter; Nest applies global filters to HTTP only,
 * the socket side maps DomainError in LegacyExceptionFilter.
 */
@Catch(DomainError)
@Injectable()
export class DomainErrorHttpFilter implements ExceptionFilter<DomainError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: DomainError, host: ArgumentsHost): void {
    const statusCode = HTTP_STATUS[error.kind];
    this.adapterHost.httpAdapter.reply(
      host.switchToHttp().getResponse(),
      { statusCode, error: ERROR_NAMES[error.kind], message: error.message },
      statusCode,
    );
  }
}
