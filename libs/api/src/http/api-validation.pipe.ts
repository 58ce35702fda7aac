import { UnprocessableEntityException, ValidationError, ValidationPipe } from '@nestjs/common';

/** Every constraint message, prefixed by the field path for nested fields. */
function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) =>
      m.startsWith(e.property) ? `${parent ? `${parent}.` : ''}${m}` : `${field}: ${m}`,
    );
    return [...own, ...describe(e.children ?? [], field)];
  });
}

/**
 * DTO validation for the management API: a bad field is a 422 whose message names it.
 * Unknown fields are dropped, not refused, so Forgejo scripts that send more still work.
 */
export const apiValidationPipe = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidUnknownValues: false,
  exceptionFactory: (errors) => new UnprocessableEntityException(describe(errors).join('; ')),
});
