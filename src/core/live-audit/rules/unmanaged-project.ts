/**
 * unmanaged-project: a running compose project whose compose files no template of the Ansible
 * repository produces (`upkeep audit --managed-by DIR`): a stack no role deploys, which a rebuilt
 * host would not get back. Only with --managed-by (ctx.managed).
 */
import { templateProduces } from '../../audit/template-produces.js';
import type { LiveRule } from '../live-finding.js';

export const unmanagedProject: LiveRule = {
  meta: {
    id: 'unmanaged-project',
    docs: { description: 'running compose projects that no role of the Ansible repository deploys', url: 'docs/rules/unmanaged-project.md' },
    messages: {
      unmanaged:
        'compose project {{project}} runs from {{files}}, which no template under {{dirs}} produces: no role deploys it (write one: upkeep export ansible {{project}} --output ROLES_DIR)',
    },
  },
  check(ctx) {
    const managed = ctx.managed;
    if (managed === undefined || managed === null) return;
    for (const [project, files] of managed.projects) {
      if (files.length === 0) continue;
      const produced = files.every((f) => managed.templates.some((t) => templateProduces(t.text, f.text)));
      if (produced) continue;
      ctx.report({
        messageId: 'unmanaged',
        data: { project, files: files.map((f) => f.path).join(', '), dirs: managed.dirs.join(', ') },
        severity: 'warning',
        subject: project,
        applicable: false,
      });
    }
  },
};
