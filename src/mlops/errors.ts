/** Typed refusals of the model registry. */
import { X0ttaError } from '../errors.ts';

/** A model, version or alias asked for that the registry does not hold. */
export class ModelNotFoundError extends X0ttaError {}

/** A promotion or rollback the registry's history does not allow (e.g. nothing to roll back to). */
export class ModelTransitionError extends X0ttaError {}
