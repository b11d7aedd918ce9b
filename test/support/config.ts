// What readGatewayConfig refuses in an environment: its problems, one per bad variable ([] when it is accepted).
import { readGatewayConfig } from '../../src/config/gateway.ts';
import { ConfigError } from '../../src/config/env.ts';

export function configProblems(env: Record<string, string>): string[] {
  try {
    readGatewayConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}
