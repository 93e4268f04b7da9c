// The target list a synthesized stack writes to S3 (lib/audit-target-list.ts), read back out of the template:
// the custom resource's S3 PutObject call, its Body parsed. CloudFormation intrinsics in it (the sandbox cache's
// address, a secret's Ref) become `<Ref:LogicalId>` / `<GetAtt:LogicalId.Attribute>` placeholders.
import type { Template } from 'aws-cdk-lib/assertions';
import { TARGET_LIST_KEY } from '../../lambda/target-list-object.js';

type Json = unknown;

export interface WrittenTargetList {
  /** The list as the handler will parse it. */
  readonly targets: Array<Record<string, unknown>>;
  /** The Body text as deployed (placeholders for intrinsics). */
  readonly body: string;
  /** The S3 call's parameters other than the body. */
  readonly parameters: Record<string, unknown>;
}

export function writtenTargetList(template: Template): WrittenTargetList {
  const writers = Object.values(template.findResources('Custom::AWS')).filter((r) => JSON.stringify(r).includes(TARGET_LIST_KEY));
  if (writers.length !== 1) throw new Error(`expected one custom resource writing ${TARGET_LIST_KEY}, found ${writers.length}`);
  const properties = (writers[0] as { Properties: { Create: Json; Update: Json } }).Properties;
  const create = JSON.parse(flatten(properties.Create)) as { parameters: Record<string, unknown> };
  const { Body, ...parameters } = create.parameters;
  if (typeof Body !== 'string') throw new Error('the target list call has no Body');
  if (flatten(properties.Update) !== flatten(properties.Create)) throw new Error('the custom resource writes a different list on update than on create');
  return { targets: JSON.parse(Body) as Array<Record<string, unknown>>, body: Body, parameters };
}

/** A template value as text: Fn::Join joined, Ref and Fn::GetAtt as placeholders. */
export function flatten(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const o = value as Record<string, Json>;
    if ('Fn::Join' in o) {
      const [separator, parts] = o['Fn::Join'] as [string, Json[]];
      return parts.map(flatten).join(separator);
    }
    if ('Ref' in o) return `<Ref:${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<GetAtt:${(o['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  throw new Error(`cannot flatten ${JSON.stringify(value).slice(0, 120)}`);
}
