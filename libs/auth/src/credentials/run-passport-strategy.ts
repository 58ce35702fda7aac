import type { Request } from 'express';
import type passport from 'passport';

type Strategy = passport.Strategy;
import { Principal } from '../principal';
import { CredentialResolver } from './credential-resolver';

/**
 * Runs one Passport strategy on a request, the way `passport.authenticate` does (a
 * per-request object whose `success`/`fail`/`error` are bound), but without sessions or
 * passport's global registry: the strategy's `fail` means "no credential of mine here"
 * (the next resolver is tried), `error` carries an invalid credential (401) or a refusal.
 */
export function runPassportStrategy(
  strategy: Strategy,
  req: Request,
): Promise<Principal | undefined> {
  return new Promise((resolve, reject) => {
    const action = Object.create(strategy) as Strategy & {
      success(user: Principal): void;
      fail(): void;
      error(err: unknown): void;
      pass(): void;
      redirect(): void;
    };
    action.success = (user) => resolve(user);
    action.fail = () => resolve(undefined);
    action.pass = () => resolve(undefined);
    action.error = (err) => reject(err);
    action.redirect = () => reject(new Error(`${strategy.name ?? 'strategy'} tried to redirect`));
    try {
      action.authenticate(req, { session: false });
    } catch (err) {
      reject(err);
    }
  });
}

/** A Passport strategy as a {@link CredentialResolver}. */
export function passportResolver(name: string, strategy: Strategy): CredentialResolver {
  return { name, resolve: (req) => runPassportStrategy(strategy, req) };
}
