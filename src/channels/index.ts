export {
  type Channel,
  type ChannelStatus,
  type Channels,
  channelMigrations,
  channelProblems,
  createChannels,
} from "./channels.ts";
