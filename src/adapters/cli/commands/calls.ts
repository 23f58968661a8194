import type { Command } from 'commander';

export function registerCallCommands(program: Command): void {
  void program;
}
