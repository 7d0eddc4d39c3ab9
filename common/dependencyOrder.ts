// Several mappings run together go in dependency order (Dependency Filter, section 1/2): a customer
// needs its salesperson and currency coupled first.

/**
 * Orders `mappings` so each comes after the mappings it depends on (only dependencies that are part of
 * this run count). Mappings without an order between them keep the order they were given in.
 * Throws on a cycle, naming the mappings in it.
 */
export function inDependencyOrder(mappings: string[], dependsOn: Record<string, string[]> = {}): string[] {
  const wanted = new Set(mappings);
  const ordered: string[] = [];
  const done = new Set<string>();
  const visiting: string[] = [];
  const visit = (name: string): void => {
    if (done.has(name)) return;
    if (visiting.includes(name)) {
      const cycle = [...visiting.slice(visiting.indexOf(name)), name].join(' -> ');
      throw new Error(
        `Mapping dependencies form a cycle: ${cycle}; fix the Dependency Filter of one of them`,
      );
    }
    visiting.push(name);
    for (const dep of dependsOn[name] ?? []) if (wanted.has(dep)) visit(dep);
    visiting.pop();
    done.add(name);
    ordered.push(name);
  };
  for (const name of mappings) visit(name);
  return ordered;
}
