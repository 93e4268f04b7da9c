// A configuration names zones and ARNs of one region; the stack deploys to one region. When the two differ the
// deploy fails late (a subnet's zone unknown) or, worse, the run fails every time (the Lambda reads secrets and
// signs IAM tokens in its own region). Checked at synth whenever the stack's region is known, every problem at once.
import { Token } from 'aws-cdk-lib';
import { AppConfigError, type AppConfig } from './app-config.js';

/** Every place of the config that names a region other than `region`, as `key: what` lines. */
export function regionMismatches(config: AppConfig, region: string): string[] {
  const problems: string[] = [];
  config.vpc?.availabilityZones.forEach((zone, i) => {
    if (zoneRegion(zone) !== region) problems.push(`vpc.availabilityZones[${i}] is ${zone}, a zone of ${zoneRegion(zone)}`);
  });
  const arn = (key: string, value: string | undefined) => {
    const arnRegion = value?.split(':')[3];
    if (arnRegion !== undefined && arnRegion !== region) problems.push(`${key} is in ${arnRegion}`);
  };
  config.targets.forEach((target, i) => {
    arn(`targets[${i}].authSecretArn`, target.authSecretArn);
    arn(`targets[${i}].authSecretKmsKeyArn`, target.authSecretKmsKeyArn);
    arn(`targets[${i}].reclaimSecretArn`, target.reclaimSecretArn);
    arn(`targets[${i}].reclaimSecretKmsKeyArn`, target.reclaimSecretKmsKeyArn);
  });
  arn('discovery.authSecretArn', config.discovery?.authSecretArn);
  arn('discovery.authSecretKmsKeyArn', config.discovery?.authSecretKmsKeyArn);
  arn('discovery.reclaimSecretArn', config.discovery?.reclaimSecretArn);
  arn('discovery.reclaimSecretKmsKeyArn', config.discovery?.reclaimSecretKmsKeyArn);
  return problems;
}

/** Throws one AppConfigError listing every mismatch; does nothing while the region is a token (unknown at synth). */
export function checkRegionConsistency(config: AppConfig, region: string): void {
  if (Token.isUnresolved(region)) return;
  const problems = regionMismatches(config, region);
  if (problems.length === 0) return;
  throw new AppConfigError(`the stack deploys to ${region}, but ${problems.join('; ')}. `
    + 'The auditor runs in one region and reads its secrets and caches there: deploy to the region of your caches (config key region, or CDK_DEFAULT_REGION), '
    + 'or give the zones and ARNs of that region.');
}

/** eu-west-1a -> eu-west-1; a Local Zone such as us-east-1-bos-1a -> us-east-1. */
function zoneRegion(zone: string): string {
  const match = /^([a-z]{2}(?:-[a-z]+)+-\d)/.exec(zone);
  return match?.[1] ?? zone;
}
