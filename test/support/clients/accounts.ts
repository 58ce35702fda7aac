import request from 'supertest';

/**
 * Accounts for end-to-end tests, made through the management API (/api/v1) the way an
 * operator would. The app must be started with {@link ADMIN_ENV}.
 */
export const ADMIN = { username: 'root', password: 'root-password-123' };
export const ADMIN_ENV = {
  REGISTRY_ADMIN_USERNAME: ADMIN.username,
  REGISTRY_ADMIN_PASSWORD: ADMIN.password,
};

export const PASSWORD = 'secret-password-123';

export type Visibility = 'public' | 'limited' | 'private';

export async function createUser(
  url: string,
  username: string,
  visibility: Visibility = 'public',
): Promise<void> {
  await request(url)
    .post('/api/v1/admin/users')
    .auth(ADMIN.username, ADMIN.password)
    .send({ username, email: `${username}@example.com`, password: PASSWORD, visibility })
    .expect(201);
}

/** An access token of `username` with the given scopes; returns the secret. */
export async function createToken(
  url: string,
  username: string,
  scopes: string[] = ['write:package'],
): Promise<string> {
  const res = await request(url)
    .post(`/api/v1/users/${username}/tokens`)
    .auth(username, PASSWORD)
    .send({ name: `t-${Math.random().toString(36).slice(2)}`, scopes })
    .expect(201);
  return res.body.sha1 as string;
}

/** An organization created by `creator` (its admin), with members at the given roles. */
export async function createOrg(
  url: string,
  creator: string,
  name: string,
  visibility: Visibility,
  members: Record<string, 'read' | 'write' | 'admin'> = {},
): Promise<void> {
  await request(url)
    .post('/api/v1/orgs')
    .auth(creator, PASSWORD)
    .send({ username: name, visibility })
    .expect(201);
  for (const [user, role] of Object.entries(members)) {
    await request(url)
      .put(`/api/v1/orgs/${name}/members/${user}`)
      .auth(creator, PASSWORD)
      .send({ role })
      .expect(204);
  }
}
