import type { Logger } from "@evented/core";
import { type Channel, logChannel } from "./channels.ts";
import type { ChannelConfig } from "./config.ts";
import { emailChannel } from "./email-channel.ts";
import type { ChannelName } from "./schema.ts";
import { webhookChannel } from "./webhook-channel.ts";

/** The configured channels; each one that is not configured logs instead (development). */
export function createChannels(config: ChannelConfig, log: Logger): Record<ChannelName, Channel> {
  const channels = {
    email: config.email ? emailChannel(config.email) : logChannel("email", log),
    sms: config.sms ? webhookChannel("sms", config.sms) : logChannel("sms", log),
    push: config.push ? webhookChannel("push", config.push) : logChannel("push", log),
  };
  log.info({ email: channels.email.describe, sms: channels.sms.describe, push: channels.push.describe }, "notification channels");
  return channels;
}
