import type { Command } from 'commander';

export function registerCarrierCommands(program: Command): void {
  void program;
}
