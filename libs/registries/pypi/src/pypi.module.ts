import { Module } from '@nestjs/common';
import { PypiController } from './pypi.controller';
import { PypiService } from './pypi.service';

/** The PyPI registry (docs/protocols/pypi.md): twine uploads, the Simple API (PEP 503/691/658/700/714), downloads. */
@Module({ controllers: [PypiController], providers: [PypiService] })
export class PypiModule {}
