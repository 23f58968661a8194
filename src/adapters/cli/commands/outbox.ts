import type { Command } from 'commander';

export function registerOutboxCommands(program: Command): void {
  void program;
}
