/**
 * Constructors for the Status errors the server and store raise most, worded like the real
 * apiserver ("pods \"x\" not found") so clients print what users expect.
 */
import { ApiStatusError } from './errors.ts';

export function notFound(group: string, resource: string, name: string): ApiStatusError {
  const qr = group ? `${resource}.${group}` : resource;
  return new ApiStatusError(404, 'NotFound', `${qr} "${name}" not found`, { name, group, kind: resource });
}

export function alreadyExists(group: string, resource: string, name: string): ApiStatusError {
  const qr = group ? `${resource}.${group}` : resource;
  return new ApiStatusError(409, 'AlreadyExists', `${qr} "${name}" already exists`, { name, group, kind: resource });
}

export function conflict(group: string, resource: string, name: string): ApiStatusError {
  const qr = group ? `${resource}.${group}` : resource;
  return new ApiStatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qr} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: resource },
  );
}

export function badRequest(message: string): ApiStatusError {
  return new ApiStatusError(400, 'BadRequest', message);
}

/** A PUT, apply or patch whose object names another object than its URL (the apiserver's own words). */
export function nameMismatch(objectName: string, urlName: string): ApiStatusError {
  return badRequest(`the name of the object (${objectName}) does not match the name on the URL (${urlName})`);
}
