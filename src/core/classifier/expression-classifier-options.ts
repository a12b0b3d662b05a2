import type { ModelSessionOptions } from '../runtime.js';

/** Settings of {@link ExpressionClassifier}; every field is optional. */
export interface ExpressionClassifierOptions {
  /** ONNX Runtime session settings. Default: the runtime's. */
  session?: ModelSessionOptions;
}

export interface ResolvedExpressionClassifierOptions {
  session: ModelSessionOptions;
}

/** Applies defaults; errors name the option as `<prefix>.<name>`. */
export function resolveExpressionClassifierOptions(
  options: ExpressionClassifierOptions = {},
  prefix = 'classifier',
): ResolvedExpressionClassifierOptions {
  const session = options.session ?? {};
  if (typeof session !== 'object' || session === null) {
    throw new TypeError(
      `${prefix}.session: expected an object of session settings, got ${String(session)}`,
    );
  }
  return { session };
}
