import { Module } from '@nestjs/common';
import { CondaController } from './conda.controller';
import { CondaService } from './conda.service';

/** conda channels (docs/protocols/conda.md): package uploads, repodata.json per subdir, downloads. */
@Module({ controllers: [CondaController], providers: [CondaService] })
export class CondaModule {}
