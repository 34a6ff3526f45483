/** The applicability rule shared by every check that reads the repository. */
import { notApplicable, type CheckContext, type Observation } from '../check.ts';

/**
 * Runs `inspect` on the source checkout, or reports not-applicable when the run has none (an
 * installed package ships only dist/): see context.ts for how a checkout is recognised.
 */
export function withSources(
  inspect: (root: string) => Promise<Observation>,
): (context: CheckContext) => Promise<Observation> {
  return async (context) =>
    context.sourceRoot === null
      ? notApplicable('no source checkout (installed package)', {
          rule: 'repository checks run only in a checkout: package.json named x0tta6bl4 with tsconfig.json, src/ and test/',
        })
      : inspect(context.sourceRoot);
}
