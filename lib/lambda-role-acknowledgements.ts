// The cdk-nag acknowledgements of the AWS managed policies CDK attaches to a Lambda's role, in one place and one
// wording, for every function of the stack (the auditor, the sandbox's leaky workload, the deploy-time custom resource).
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** What AWSLambdaVPCAccessExecutionRole grants, on * and with no condition (its policy document in the IAM console). */
export const VPC_ACCESS_ROLE_ACTIONS = [
  'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses',
];

/** `role`: the function's role (or the function, for a singleton whose role CDK creates inside it); `vpc`: it runs in a VPC. */
export function acknowledgeLambdaManagedPolicies(role: IConstruct, options: { readonly vpc: boolean }): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'The AWS managed policy for writing the function\'s own CloudWatch Logs.',
  });
  if (!options.vpc) return;
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    reason: 'The AWS managed policy that lets a VPC Lambda create and delete its network interfaces. It grants, on * and with no condition: '
      + `${VPC_ACCESS_ROLE_ACTIONS.join(', ')}. So the role may describe network interfaces and subnets in every region of the account, `
      + 'whatever the function\'s own statements say.',
  });
}
