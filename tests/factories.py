import factory
from django.contrib.auth import get_user_model

from crm.roles import AGENTS, SUPERVISORS, assign_role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            assign_role(self, extracted)
        if create:
            self.save()


def agent(**kwargs):
    return UserFactory(role=AGENTS, **kwargs)


def supervisor(**kwargs):
    return UserFactory(role=SUPERVISORS, **kwargs)
