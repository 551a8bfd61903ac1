/**
 * pusher-js's Node build, typed. Its typings declare an ES default export, but the package is CommonJS and
 * `module.exports` is the class itself, so under NodeNext the default import is the class at run time while
 * TypeScript sees the namespace. This module states the run-time truth once.
 */
import PusherModule from 'pusher-js';

export type Pusher = InstanceType<typeof PusherModule.default>;
export type PusherOptions = ConstructorParameters<typeof PusherModule.default>[1];
export const Pusher = PusherModule as unknown as typeof PusherModule.default;
