// The tool's version, as a constant: the Lambda bundle has no package.json to read. A unit test keeps it
// equal to package.json's version.
export const TOOL_VERSION = '0.1.0';
