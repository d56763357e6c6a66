// Cost profiles: named sets of cost overrides, typed by hand or fitted.
import { MODEL_VERSION } from '../../core/index.ts';
import type { CostProfile } from '../../db/index.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';
import type { Result } from '../protocol/methods.ts';

/** A stored profile as the protocol types it: the journal keeps the fit as JSON, written from a calibration report. */
export function profileResult(profile: CostProfile): Result<'profiles.get'> {
  return profile as Result<'profiles.get'>;
}

export function profilesHandlers(ctx: LabContext): DomainHandlers<'profiles.list' | 'profiles.get' | 'profiles.save' | 'profiles.delete'> {
  return {
    'profiles.list': () => ctx.journal.profiles.listCostProfiles().map(profileResult),

    'profiles.get': ({ name }) => {
      const profile = ctx.journal.profiles.getCostProfile(name);
      if (!profile) throw new ServiceError('not_found', `cost profile ${JSON.stringify(name)} not found in the journal`);
      return profileResult(profile);
    },

    'profiles.save': ({ name, description, costs, replace }) =>
      profileResult(ctx.journal.profiles.saveCostProfile({ name, costs: costs as Record<string, number>, fit: null, modelVersion: MODEL_VERSION, ...(description === undefined ? {} : { description }) }, { replace })),

    'profiles.delete': ({ name }) => ({ deleted: ctx.journal.profiles.deleteCostProfile(name) }),
  };
}
