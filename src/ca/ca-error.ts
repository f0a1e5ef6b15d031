import { UserError } from '../user-error.js';

/** A CA problem the user can mend (bad files, bad permissions, bad names); the message says how. */
export class CaError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'CaError';
  }
}
