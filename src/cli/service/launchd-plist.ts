// The launchd agent (launchd.plist(5)): ~/Library/LaunchAgents/<label>.plist, started at login and
// restarted when it exits with an error (KeepAlive SuccessfulExit false).
import { join } from 'node:path';
import type { ServiceInvocation } from './invocation.js';

export const LAUNCHD_LABEL = 'org.inboxguard.proxy';

export function launchdPlistPath(home: string): string {
  return join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
}

/** Where the agent's stdout/stderr go (the banner and console lines; the proxy's own log is logs/inboxguard.log). */
export function launchdOutputPath(dataDir: string): string {
  return join(dataDir, 'logs', 'service.out');
}

export function renderLaunchdPlist(invocation: ServiceInvocation): string {
  const output = escapeXml(launchdOutputPath(invocation.dataDir));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  <string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...invocation.argv.map((argument) => `    <string>${escapeXml(argument)}</string>`),
    '  </array>',
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>StandardOutPath</key>',
    `  <string>${output}</string>`,
    '  <key>StandardErrorPath</key>',
    `  <string>${output}</string>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
