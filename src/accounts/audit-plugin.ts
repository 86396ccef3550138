// The audit log as a service: `app.audit.record(event, request, ...)`.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from './audit-log.ts';

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditLog;
  }
}

async function auditPlugin(app: FastifyInstance, options: { audit: AuditLog }): Promise<void> {
  app.decorate('audit', options.audit);
}

export default fp(auditPlugin, { name: 'audit', fastify: '5.x' });
