import type { Command } from 'commander';

export function registerRouteCommands(program: Command): void {
  void program;
}
