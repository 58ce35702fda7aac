import { Module } from '@nestjs/common';
import { NuGetController } from './nuget.controller';
import { NuGetFeedService } from './nuget-feeds.service';
import { NuGetService } from './nuget.service';

/** The NuGet feed (docs/protocols/nuget.md): v3 JSON API, v2 OData feed, push, delete, symbols. */
@Module({ controllers: [NuGetController], providers: [NuGetService, NuGetFeedService] })
export class NuGetModule {}
